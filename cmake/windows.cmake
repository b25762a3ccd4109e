# The Windows side of the build (the `windows` preset: mingw-w64, see
# cmake/toolchains/mingw-w64-x86_64.cmake). Included from the top-level
# CMakeLists.txt in place of the Linux dependency lookup.
#
# The dependencies are static libraries from scripts/build-windows-deps.sh,
# linked into libvmaccel.dll, and the C/C++ runtimes (libgcc, libstdc++,
# winpthreads) are linked statically too: libvmaccel.dll and vmaccel.exe
# need nothing beside them but Windows' own DLLs. libnuma has no Windows
# port; runtime/platform/windows*.c use the Win32 NUMA API instead.
if(NOT EXISTS "${VMACCEL_WINDOWS_DEPS}/lib/pkgconfig/hwloc.pc")
  message(FATAL_ERROR "No Windows dependencies in ${VMACCEL_WINDOWS_DEPS}: "
          "run scripts/build-windows-deps.sh first (or `make build-windows`)")
endif()

pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv-static)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
pkg_check_modules(PROTOBUF_C REQUIRED IMPORTED_TARGET libprotobuf-c)
pkg_check_modules(JSONC REQUIRED IMPORTED_TARGET json-c)
# hwloc.pc names its static-only needs in Libs.private.
set_property(TARGET PkgConfig::HWLOC APPEND PROPERTY INTERFACE_LINK_LIBRARIES gdi32)
set(NUMA_LIBRARY "")
set(NUMA_INCLUDE_DIR "")

# Windows 10 (1607) APIs (GetThreadDescription); mingw's C99 printf/scanf
# (%zu, %lld); the POSIX spellings of runtime/platform/windows_posix.h in
# every C file, so shared code needs no #ifdef for them.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 __USE_MINGW_ANSI_STDIO=1)
add_compile_options(
  "$<$<COMPILE_LANGUAGE:C>:SHELL:-include ${CMAKE_SOURCE_DIR}/runtime/platform/windows_posix.h>")

add_link_options(-static)
# Every program and the DLL in one directory, as Windows finds DLLs beside
# the program that loads them.
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)

# libvmaccel.dll with its import library libvmaccel.dll.a. Exports are the
# functions marked VMACCEL_API (__declspec(dllexport)); --exclude-libs keeps
# the static dependencies' symbols from being exported automatically.
# tests/windows checks the export table.
function(vmaccel_windows_dll target)
  target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)
endfunction()
