/* exectrace: runs programs under the shim and reads the traces it writes. */
#include "cli.h"
#include "run.h"

int main(int argc, char **argv)
{
    et_program_argv = argv;
    return et_main(argc, argv);
}
