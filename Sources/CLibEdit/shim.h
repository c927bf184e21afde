#ifndef SIGCTL_CLIBEDIT_SHIM_H
#define SIGCTL_CLIBEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#endif
