# Run by `cmake --install` once per interpreter the recorder was built for (recorder/CMakeLists.txt sets the
# REFSCOPE_SITE_* variables before including it). Installs the package refscope_record, with its pytest plugin,
# into the interpreter's site directory under the install prefix, registered through a .dist-info whose
# entry_points.txt names the plugin under `pytest11`: after that, `PYTHON -m pytest --refscope` works from any
# directory, and `import refscope_record` works in any program of that interpreter.
#
#   REFSCOPE_SITE_PYTHON    the interpreter          REFSCOPE_SITE_VERSION   its X.Y
#   REFSCOPE_SITE_FILES     the package's files (the .py sources and the built _native module)
#   REFSCOPE_SITE_HELPER    python_site.py           REFSCOPE_SITE_STAGE     a scratch directory in the build tree
#   REFSCOPE_SITE_BINDIR    where refscope goes, relative to the prefix
#   REFSCOPE_SITE_PRIVATE   the recorder's private directory for `refscope record`, relative to the prefix
#   REFSCOPE_SITE_DIST_VERSION  the version written into the .dist-info

execute_process(
  COMMAND "${REFSCOPE_SITE_PYTHON}" -I "${REFSCOPE_SITE_HELPER}" where "${CMAKE_INSTALL_PREFIX}"
  OUTPUT_VARIABLE _where RESULT_VARIABLE _rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "refscope: cannot ask ${REFSCOPE_SITE_PYTHON} for its site directory")
endif()
string(REPLACE "\n" ";" _where "${_where}")
list(GET _where 0 _site)
list(GET _where 1 _searched)

# A file that says where the refscope program is, relative to the package, so that the plugin finds it without
# PATH (and a staged DESTDIR installation moved into place still finds it).
function(_refscope_write_program_file package_dir out)
  file(RELATIVE_PATH rel "${package_dir}" "${CMAKE_INSTALL_PREFIX}/${REFSCOPE_SITE_BINDIR}/refscope")
  file(WRITE "${out}" "# Written by cmake --install: the refscope program, relative to this directory.\n"
                      "REFSCOPE = \"${rel}\"\n")
endfunction()

# The private copy that `refscope record` puts on PYTHONPATH gets the same file.
set(_private "${CMAKE_INSTALL_PREFIX}/${REFSCOPE_SITE_PRIVATE}/refscope_record")
set(_private_stage "${REFSCOPE_SITE_STAGE}/private")
file(REMOVE_RECURSE "${_private_stage}")
_refscope_write_program_file("${_private}" "${_private_stage}/_program.py")
file(INSTALL DESTINATION "${_private}" TYPE FILE FILES "${_private_stage}/_program.py")

set(_stage "${REFSCOPE_SITE_STAGE}/site")
file(REMOVE_RECURSE "${_stage}")
file(COPY ${REFSCOPE_SITE_FILES} DESTINATION "${_stage}/refscope_record")
_refscope_write_program_file("${_site}/refscope_record" "${_stage}/refscope_record/_program.py")
execute_process(
  COMMAND "${REFSCOPE_SITE_PYTHON}" -I "${REFSCOPE_SITE_HELPER}" dist-info "${_stage}" "${REFSCOPE_SITE_DIST_VERSION}"
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "refscope: cannot write the .dist-info of refscope_record for ${REFSCOPE_SITE_PYTHON}")
endif()
# Files an earlier version installed there, which the new RECORD would not list.
file(GLOB _old "$ENV{DESTDIR}${_site}/refscope_record-*.dist-info")
if(_old)
  file(REMOVE_RECURSE ${_old})
endif()
file(INSTALL DESTINATION "${_site}" TYPE DIRECTORY FILES "${_stage}/refscope_record"
     "${_stage}/refscope_record-${REFSCOPE_SITE_DIST_VERSION}.dist-info")

if(_searched STREQUAL "searched")
  message(STATUS "refscope: Python ${REFSCOPE_SITE_VERSION} (${REFSCOPE_SITE_PYTHON}) finds refscope_record and "
                 "its pytest plugin in ${_site}")
else()
  message(STATUS "refscope: Python ${REFSCOPE_SITE_VERSION} (${REFSCOPE_SITE_PYTHON}) does not search ${_site} "
                 "by default: put it on PYTHONPATH, or install with --prefix set to that interpreter's prefix")
endif()
