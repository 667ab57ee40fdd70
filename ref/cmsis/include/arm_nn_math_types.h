/*
 * CMSIS-NN's math type header, reduced to what generated code and the host twin need.
 */
#ifndef ARM_NN_MATH_TYPES_H
#define ARM_NN_MATH_TYPES_H

#include <limits.h>
#include <stdint.h>
#include <string.h>

#ifndef __STATIC_FORCEINLINE
#define __STATIC_FORCEINLINE static inline __attribute__((always_inline))
#endif
#ifndef __STATIC_INLINE
#define __STATIC_INLINE static inline
#endif

#define NN_Q31_MAX ((int32_t)0x7FFFFFFF)
#define NN_Q15_MAX ((int16_t)0x7FFF)
#define NN_Q7_MAX ((int8_t)0x7F)
#define NN_Q31_MIN ((int32_t)(-0x7FFFFFFF - 1))
#define NN_Q15_MIN ((int16_t)(-0x8000))
#define NN_Q7_MIN ((int8_t)(-0x80))

#endif
