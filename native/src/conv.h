/* Float32 convolution and pooling helpers of the native backend, on channels-last images. */
#ifndef STRATUM_CONV_H
#define STRATUM_CONV_H

#include <stddef.h>

/*
 * A sliding window over volumes [batch, depth, height, width, channels]
 * (images have depth 1); the fields match WindowGeometry in
 * src/backend/backend.ts. Window element (kd, kh, kw) of output position
 * (od, oh, ow) reads input row oh * stride_h - pad_top + kh * dilation_h
 * and the matching plane and column. Positions outside the input are padding.
 * `channel_offset` and `group_channels` select the channel slice that im2col
 * and col2im use; the pooling kernels ignore them.
 */
typedef struct {
  size_t batch, height, width, channels;
  size_t window_h, window_w, stride_h, stride_w, dilation_h, dilation_w;
  size_t pad_top, pad_left, out_h, out_w;
  size_t channel_offset, group_channels;
  size_t depth, window_d, stride_d, dilation_d, pad_front, out_d;
} stratum_window;

/* Number of int32 entries that encode a stratum_window, in field order. */
#define STRATUM_WINDOW_FIELDS 22

void k_im2col(const stratum_window *g, const float *x, float *cols);
void k_col2im(const stratum_window *g, const float *cols, float *dx);
void k_max_pool(const stratum_window *g, const float *x, float *out);
void k_max_pool_backward(const stratum_window *g, const float *x, const float *dy, float *dx);
void k_avg_pool(const stratum_window *g, const float *x, float *out);
void k_avg_pool_backward(const stratum_window *g, const float *dy, float *dx);

/*
 * Depthwise convolution of images x [batch, height, width, channels] with a
 * kernel [window_h, window_w, channels, multiplier] into out [batch, out_h,
 * out_w, channels * multiplier], and its gradients (dx or dkernel may be
 * NULL). The depth fields must describe images, and the channel slice is ignored.
 */
void k_depthwise_conv(const stratum_window *g, size_t multiplier, const float *x, const float *kernel, float *out);
void k_depthwise_conv_backward(const stratum_window *g, size_t multiplier, const float *x, const float *kernel, const float *dy,
                               float *dx, float *dkernel);

#endif
