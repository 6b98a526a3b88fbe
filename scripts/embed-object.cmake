# Writes a C file defining the bytes of a binary file as an array, so a
# library carries an object it loads (the kernel program of the tracepoint
# source). Run as: cmake -DINPUT=f -DOUTPUT=f.c -DSYMBOL=name -P embed-object.cmake
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT} "/* Generated from ${INPUT} by scripts/embed-object.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const unsigned char ${SYMBOL}[];\nextern const size_t ${SYMBOL}_size;\n"
  "const unsigned char ${SYMBOL}[] __attribute__((aligned(8))) = {\n${bytes}};\n"
  "const size_t ${SYMBOL}_size = ${size};\n")
