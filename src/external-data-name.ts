/** True for the names ONNX exports give a graph's external weights: `model_q4.onnx_data`, `model_q4.onnx_data_1`, `model.onnx.data`. */
export function isExternalDataOf(fileName: string, graphName: string): boolean {
  if (!fileName.startsWith(graphName)) return false;
  return /^(?:_data|\.data)(?:_\d+)?$/.test(fileName.slice(graphName.length));
}
