# vm-accel on libvirt-managed VMs: real libvirtd, virtlogd and TCG domains
# (tests/e2e/libvirt/libvirt.sh starts the daemons when none run, as on a
# machine without systemd, and stops what it started). Root only: exit 77
# (CTest SKIP) otherwise, or without libvirt or QEMU. RUN_SERIAL: it starts
# and stops daemons, and `run --libvirt` attaches every running domain.
# In the default and ASan+UBSan builds only: the others would repeat the
# same real-daemon run (a minute or more each) for no new check.
if(TARGET vmaccel_cli AND LIBVIRT_FOUND AND NOT VMACCEL_SANITIZE STREQUAL "thread" AND
   NOT CMAKE_BUILD_TYPE STREQUAL "Release")
  add_test(NAME e2e_libvirt
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/libvirt.sh $<TARGET_FILE:vmaccel_cli>)
  set_tests_properties(e2e_libvirt PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900
                       RUN_SERIAL TRUE)
endif()
