/*
 * Depthwise convolution over channels-last images: output channel
 * c * multiplier + j is input channel c convolved with filter j. The loops
 * mirror depthwiseConv and depthwiseConvBackward in
 * src/backend/typescript/conv.ts, summing in the same order.
 *
 * Threads: the forward pass splits by output row. The backward pass splits by
 * input channel, because only channel c's outputs write the input gradient
 * and kernel gradient of channel c. No two tasks write the same memory, so
 * the result does not depend on the thread count.
 */
#include <string.h>

#include "conv.h"
#include "threadpool.h"

/* Below this many multiply-adds a kernel runs on the calling thread, because waking the pool costs more. */
#define DEPTHWISE_PARALLEL_MIN 65536

typedef struct {
  const stratum_window *g;
  size_t multiplier;
  const float *x, *kernel, *dy;
  float *out, *dx, *dkernel;
} depthwise_task;

static inline long position(size_t o, size_t stride, size_t pad, size_t k, size_t dilation) {
  return (long)(o * stride + k * dilation) - (long)pad;
}

static void forward_task(void *context, size_t task) {
  const depthwise_task *c = context;
  const stratum_window *g = c->g;
  const size_t n = task / g->out_h, oh = task % g->out_h, channels = g->channels, m = c->multiplier;
  const size_t out_channels = channels * m;
  for (size_t ow = 0; ow < g->out_w; ow++) {
    float *out = c->out + (task * g->out_w + ow) * out_channels;
    memset(out, 0, out_channels * sizeof(float));
    for (size_t kh = 0; kh < g->window_h; kh++) {
      const long ih = position(oh, g->stride_h, g->pad_top, kh, g->dilation_h);
      for (size_t kw = 0; kw < g->window_w; kw++) {
        const long iw = position(ow, g->stride_w, g->pad_left, kw, g->dilation_w);
        if (ih < 0 || ih >= (long)g->height || iw < 0 || iw >= (long)g->width) continue;
        const float *x = c->x + ((n * g->height + (size_t)ih) * g->width + (size_t)iw) * channels;
        const float *k = c->kernel + (kh * g->window_w + kw) * out_channels;
        for (size_t ch = 0; ch < channels; ch++) {
          for (size_t j = 0; j < m; j++) out[ch * m + j] += x[ch] * k[ch * m + j];
        }
      }
    }
  }
}

void k_depthwise_conv(const stratum_window *g, size_t multiplier, const float *x, const float *kernel, float *out) {
  depthwise_task context = {g, multiplier, x, kernel, NULL, out, NULL, NULL};
  const size_t rows = g->batch * g->out_h;
  const size_t work = rows * g->out_w * g->window_h * g->window_w * g->channels * multiplier;
  if (work < DEPTHWISE_PARALLEL_MIN) {
    for (size_t t = 0; t < rows; t++) forward_task(&context, t);
  } else {
    stratum_pool_run(rows, forward_task, &context);
  }
}

/* Task ch writes channel ch of dx and the kernel gradient entries of channel ch. */
static void backward_task(void *context, size_t ch) {
  const depthwise_task *c = context;
  const stratum_window *g = c->g;
  const size_t channels = g->channels, m = c->multiplier, out_channels = channels * m;
  if (c->dx) {
    for (size_t p = 0; p < g->batch * g->height * g->width; p++) c->dx[p * channels + ch] = 0.0f;
  }
  if (c->dkernel) {
    for (size_t w = 0; w < g->window_h * g->window_w; w++) {
      for (size_t j = 0; j < m; j++) c->dkernel[w * out_channels + ch * m + j] = 0.0f;
    }
  }
  for (size_t n = 0; n < g->batch; n++) {
    for (size_t oh = 0; oh < g->out_h; oh++) {
      for (size_t ow = 0; ow < g->out_w; ow++) {
        const float *dy = c->dy + ((n * g->out_h + oh) * g->out_w + ow) * out_channels + ch * m;
        for (size_t kh = 0; kh < g->window_h; kh++) {
          const long ih = position(oh, g->stride_h, g->pad_top, kh, g->dilation_h);
          for (size_t kw = 0; kw < g->window_w; kw++) {
            const long iw = position(ow, g->stride_w, g->pad_left, kw, g->dilation_w);
            if (ih < 0 || ih >= (long)g->height || iw < 0 || iw >= (long)g->width) continue;
            const size_t in = ((n * g->height + (size_t)ih) * g->width + (size_t)iw) * channels + ch;
            const size_t k = (kh * g->window_w + kw) * out_channels + ch * m;
            float sum = 0.0f;
            for (size_t j = 0; j < m; j++) {
              sum += dy[j] * c->kernel[k + j];
              if (c->dkernel) c->dkernel[k + j] += dy[j] * c->x[in];
            }
            if (c->dx) c->dx[in] += sum;
          }
        }
      }
    }
  }
}

void k_depthwise_conv_backward(const stratum_window *g, size_t multiplier, const float *x, const float *kernel, const float *dy,
                               float *dx, float *dkernel) {
  depthwise_task context = {g, multiplier, x, kernel, dy, NULL, dx, dkernel};
  const size_t work = g->batch * g->out_h * g->out_w * g->window_h * g->window_w * g->channels * multiplier;
  if (work < DEPTHWISE_PARALLEL_MIN) {
    for (size_t ch = 0; ch < g->channels; ch++) backward_task(&context, ch);
  } else {
    stratum_pool_run(g->channels, backward_task, &context);
  }
}
