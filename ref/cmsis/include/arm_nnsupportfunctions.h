/*
 * The few CMSIS-NN support declarations TVM's own Cortex-M schedules use: read_and_pad
 * (declared by CMSIS-NN only when ARM_MATH_DSP is set) and the __SMLAD intrinsic. On the host
 * they are portable C with the same results as the Arm instructions (MLF-FORMAT.md 4).
 */
#ifndef ARM_NNSUPPORTFUNCTIONS_H
#define ARM_NNSUPPORTFUNCTIONS_H

#include <stdint.h>
#include <string.h>

#include "arm_nn_math_types.h"
#include "arm_nn_types.h"

/* Two signed 16-bit lanes of a 32-bit word. */
static inline int32_t ref_twin_lane_lo(uint32_t x)
{
    return (int16_t)(uint16_t)(x & 0xFFFFu);
}

static inline int32_t ref_twin_lane_hi(uint32_t x)
{
    return (int16_t)(uint16_t)(x >> 16);
}

/* SMLAD: both 16x16 lane products added to acc; the sum wraps as the instruction does. */
static inline uint32_t __SMLAD(uint32_t x, uint32_t y, uint32_t acc)
{
    int32_t p0 = ref_twin_lane_lo(x) * ref_twin_lane_lo(y);
    int32_t p1 = ref_twin_lane_hi(x) * ref_twin_lane_hi(y);
    return acc + (uint32_t)p0 + (uint32_t)p1;
}

/* Packs two sign-extended bytes into the lanes of one word. */
static inline int32_t ref_twin_pack16(int8_t lo, int8_t hi)
{
    return (int32_t)(((uint32_t)(uint16_t)(int16_t)lo) | ((uint32_t)(uint16_t)(int16_t)hi << 16));
}

/* Bytes b0..b3 at source become out1 = {b0, b1} and out2 = {b2, b3}, sign-extended to 16 bits. */
static inline const int8_t *read_and_pad(const int8_t *source, int32_t *out1, int32_t *out2)
{
    *out1 = ref_twin_pack16(source[0], source[1]);
    *out2 = ref_twin_pack16(source[2], source[3]);
    return source + 4;
}

/* Clang's ACLE builtins that TVM's schedules name directly: bottom x bottom / top x top + acc. */
static inline int32_t ref_twin_smlabb(int32_t x, int32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(ref_twin_lane_lo((uint32_t)x) *
                                                ref_twin_lane_lo((uint32_t)y)));
}

static inline int32_t ref_twin_smlatt(int32_t x, int32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(ref_twin_lane_hi((uint32_t)x) *
                                                ref_twin_lane_hi((uint32_t)y)));
}

#define __builtin_arm_smlabb(x, y, acc) ref_twin_smlabb((x), (y), (acc))
#define __builtin_arm_smlatt(x, y, acc) ref_twin_smlatt((x), (y), (acc))

#endif
