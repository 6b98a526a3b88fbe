/* The program types the tool can load: every built-in one (sample, process). */
#include "cli.h"
#include "ext/ext.h"

int cli_register_program_types(void)
{
    return ext_register_builtin();
}
