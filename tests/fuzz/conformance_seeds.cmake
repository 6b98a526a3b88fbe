# cmake -DIN=DIR -DOUT=DIR -P conformance_seeds.cmake: writes the "-- asm"
# section of every bpf_conformance vector DIR/*.data to OUT/<name>.txt,
# seeds for fuzz_asm (the vectors are read in place, never copied into
# the repository).
file(GLOB vectors ${IN}/*.data)
file(MAKE_DIRECTORY ${OUT})
foreach(vector ${vectors})
  get_filename_component(name ${vector} NAME_WE)
  file(READ ${vector} text)
  string(FIND "${text}" "-- asm\n" begin)
  if(begin EQUAL -1)
    continue()
  endif()
  math(EXPR begin "${begin} + 7")
  string(SUBSTRING "${text}" ${begin} -1 text)
  string(FIND "${text}" "\n-- " end)
  if(NOT end EQUAL -1)
    math(EXPR end "${end} + 1")
    string(SUBSTRING "${text}" 0 ${end} text)
  endif()
  file(WRITE ${OUT}/${name}.txt "${text}")
endforeach()
