# embed.cmake - IN (a text file) as `const char serve_openapi_json[]` and
# `const size_t serve_openapi_json_len` in OUT (cmake -P, at build time).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* generated from src/serve/openapi.json by scripts/embed.cmake */\n#include <stddef.h>\nconst char serve_openapi_json[] = {\n${body}0x00 };\nconst size_t serve_openapi_json_len = ${len};\n")
