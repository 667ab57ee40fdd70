/*
 * Functions this code base never calls: each has a bounded or checked replacement
 * (snprintf, sbuf_*, strtol/strtoul with an end pointer and a range check).
 * Included last in every .c file so that a use is a compile error.
 */
#ifndef MLFSCOPE_BANNED_H
#define MLFSCOPE_BANNED_H

#undef strcpy
#define strcpy(...) banned_function_strcpy_use_snprintf
#undef strcat
#define strcat(...) banned_function_strcat_use_sbuf
#undef sprintf
#define sprintf(...) banned_function_sprintf_use_snprintf
#undef vsprintf
#define vsprintf(...) banned_function_vsprintf_use_vsnprintf
#undef strtok
#define strtok(...) banned_function_strtok
#undef atoi
#define atoi(...) banned_function_atoi_use_strtol
#undef atol
#define atol(...) banned_function_atol_use_strtol
#undef atof
#define atof(...) banned_function_atof_use_strtod

#endif
