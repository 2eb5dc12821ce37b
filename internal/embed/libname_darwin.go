package embed

// runtimeLibName is the provisioned ONNX Runtime library's file name.
const runtimeLibName = "libonnxruntime.1.dylib"
