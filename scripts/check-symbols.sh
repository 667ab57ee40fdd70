#!/bin/sh
# Fails when the library exports a symbol without a module prefix (STYLE.md 2).
set -eu
lib=$1
prefixes='mem_|size_|arena_|errbuf_|sbuf_|filebuf_|fileio_|graph_|tensor_|node_|dtype_|layer_|cmd_|onnx_|onnx__|tflite_|flatbuf_|mlf_|ref_|interp_|trace_|diff_|map_|offload_|boardlog_|npy_|tensorfile_|dump_|screen_|tui_|term_|gv_|view_|views_|graphview_|report_|capture_|instrument_|twin_|shape_|model_|json_|jsonw_|crc32_|base64_|mlfscope_dump_|layers_|protobuf_c_'
bad=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | grep -Ev "^($prefixes)" || true)
if [ -n "$bad" ]; then
    echo "check-symbols: exported symbols without a module prefix:"
    echo "$bad" | sed 's/^/  /'
    exit 1
fi
echo "check-symbols: ok"
