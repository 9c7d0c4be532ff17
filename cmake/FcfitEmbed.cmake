# Turn a binary file into a C source defining `const unsigned char NAME[]` and `NAME_size`.
# Usage: cmake -DIN=file -DOUT=file.c -DNAME=symbol -P FcfitEmbed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR nbytes "${nhex} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" body "${body}")
file(WRITE "${OUT}" "/* Generated from ${IN} by cmake/FcfitEmbed.cmake; do not edit. */\n#include <stddef.h>\n"
     "extern const unsigned char ${NAME}[];\nextern const size_t ${NAME}_size;\n"
     "const unsigned char ${NAME}[] = {\n${body}\n};\nconst size_t ${NAME}_size = ${nbytes};\n")
