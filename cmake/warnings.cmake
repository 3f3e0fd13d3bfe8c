# SPDX-License-Identifier: Apache-2.0
# kubeflow_set_warnings(target): the project's warning set; errors under KUBEFLOW_WERROR.
function(kubeflow_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    # Designated initializers that name only some members are intended.
    -Wno-missing-field-initializers)
  if(KUBEFLOW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
