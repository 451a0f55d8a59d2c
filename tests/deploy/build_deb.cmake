# ctest fixture deploy_build_deb: builds the Debian package into OUT_DIR, from
# scratch, with the build tree's CPack configuration, for the tests that
# inspect it. cmake -DCPACK=... -DCPACK_CONFIG=... -DOUT_DIR=... -P build_deb.cmake
foreach(var CPACK CPACK_CONFIG OUT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_deb.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}")
execute_process(
  COMMAND "${CPACK}" -G DEB --config "${CPACK_CONFIG}" -B "${OUT_DIR}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
message("${output}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cpack -G DEB failed (${result})")
endif()
# CPack's staging tree is not part of the result.
file(REMOVE_RECURSE "${OUT_DIR}/_CPack_Packages")
file(GLOB debs "${OUT_DIR}/*.deb")
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one .deb in ${OUT_DIR}, got: ${debs}")
endif()
message("built ${debs}")
