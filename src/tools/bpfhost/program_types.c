/* The program types the tool can load: built-in ones now, extensions' later. */
#include "cli.h"
#include "core/core.h"

#include <errno.h>

int cli_register_program_types(void)
{
    int rc = core_register_sample_type();
    return rc == -EEXIST ? 0 : rc;
}
