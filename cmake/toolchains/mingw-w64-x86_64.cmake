# Cross build for 64-bit Windows with Debian's mingw-w64 (the posix thread
# model: winpthreads gives the runtime its pthread API and C++ std::thread).
# The dependencies (libuv, hwloc, protobuf-c, json-c) come from
# scripts/build-windows-deps.sh, installed under VMACCEL_WINDOWS_DEPS.
# Programs built here run under Wine (CMAKE_CROSSCOMPILING_EMULATOR), so
# ctest and Catch2's test discovery work as they do natively.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(VMACCEL_MINGW_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${VMACCEL_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${VMACCEL_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${VMACCEL_MINGW_TRIPLE}-windres)
set(CMAKE_OBJDUMP ${VMACCEL_MINGW_TRIPLE}-objdump)

if(NOT VMACCEL_WINDOWS_DEPS)
  get_filename_component(VMACCEL_WINDOWS_DEPS
    "${CMAKE_CURRENT_LIST_DIR}/../../build/windows-deps/prefix" ABSOLUTE)
endif()
set(VMACCEL_WINDOWS_DEPS "${VMACCEL_WINDOWS_DEPS}" CACHE PATH
    "Prefix holding the Windows builds of libuv, hwloc, protobuf-c and json-c")

set(CMAKE_FIND_ROOT_PATH /usr/${VMACCEL_MINGW_TRIPLE} ${VMACCEL_WINDOWS_DEPS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # protoc-c is a build-host tool
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must see only the Windows .pc files, never the host's.
set(ENV{PKG_CONFIG_LIBDIR} "${VMACCEL_WINDOWS_DEPS}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Programs run through scripts/wine-run.sh: Wine with a prefix under build/.
get_filename_component(VMACCEL_WINE_RUN "${CMAKE_CURRENT_LIST_DIR}/../../scripts/wine-run.sh" ABSOLUTE)
set(CMAKE_CROSSCOMPILING_EMULATOR "${VMACCEL_WINE_RUN}")
