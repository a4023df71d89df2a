// SPDX-License-Identifier: GPL-2.0
/* The one place the tracepoints of sbull_trace.h are defined. */
#define CREATE_TRACE_POINTS
#include "sbull_trace.h"
