# embed.cmake - IN (a file) as `const char NAME[]` (NUL-terminated) and
# `const size_t NAME_len` in OUT (cmake -P, at build time). NAME defaults to
# serve_openapi_json.
if(NOT DEFINED NAME)
  set(NAME serve_openapi_json)
endif()
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* generated from ${IN} by scripts/embed.cmake */\n#include <stddef.h>\nconst char ${NAME}[] = {\n${body}0x00 };\nconst size_t ${NAME}_len = ${len};\n")
