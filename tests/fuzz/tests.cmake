# libFuzzer harnesses: tests/fuzz/fuzz_NAME.c, built when VMACCEL_FUZZ is on
# (clang; tests/fuzz/run.sh configures such a build). CTest replays each
# harness's seed corpus (tests/fuzz/corpus/NAME) as a regression test;
# run.sh NAME SECONDS fuzzes for a bounded time.
if(VMACCEL_FUZZ)
  file(GLOB fuzz_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/fuzz_*.c)
  foreach(src ${fuzz_sources})
    get_filename_component(name ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" short ${name})
    add_executable(${name} ${src})
    target_compile_options(${name} PRIVATE ${VMACCEL_WARNINGS} -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE vmaccel_static)
    if(name STREQUAL "fuzz_cli")
      # The command-line parsers themselves: every cli source but main().
      file(GLOB cli_parts ${PROJECT_SOURCE_DIR}/cli/*.c)
      # (the Linux build's: cli/windows*.c are the Windows build's own)
      list(FILTER cli_parts EXCLUDE REGEX "/(main|windows[^/]*)\\.c$")
      target_sources(${name} PRIVATE ${cli_parts})
      target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/cli)
      target_compile_definitions(${name} PRIVATE _GNU_SOURCE)
      target_link_libraries(${name} PRIVATE vmaccel_proto PkgConfig::JSONC m)
    endif()
    if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/corpus/${short})
      add_test(NAME ${name}_corpus
               COMMAND ${name} -runs=0 ${CMAKE_CURRENT_LIST_DIR}/corpus/${short})
      set_tests_properties(${name}_corpus PROPERTIES TIMEOUT 300)
    endif()
  endforeach()
endif()
