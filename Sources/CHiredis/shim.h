#ifndef SIGCTL_CHIREDIS_SHIM_H
#define SIGCTL_CHIREDIS_SHIM_H
// hiredis 0.14 declares redisReaderCreate in hiredis.h, the reader types in read.h.
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
