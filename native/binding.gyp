{
  "targets": [
    {
      "target_name": "meetara_quant",
      "sources": ["meetara_quant.c"],
      "cflags_c": ["-std=c11", "-O3", "-fno-fast-math", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-O3", "-fno-fast-math", "-ffp-contract=off", "-fno-math-errno"]
      },
      "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/fp:precise", "/fp:contract-"] } }
    }
  ]
}
