/*
 * Convolution and pooling helpers: image-to-columns and its adjoint, and max
 * and average pooling with their gradients. The loops mirror
 * src/backend/typescript/conv.ts element for element.
 *
 * Threads: kernels that gather (im2col, pooling forward) split the work by
 * output row (one row per batch item, output plane and output row), and
 * kernels that scatter (col2im, pooling backward) split it by image or volume. So every task writes memory that no other task touches, and each
 * output is summed in the same order whatever the thread count.
 */
#include "conv.h"

#include <math.h>
#include <string.h>

#include "threadpool.h"

/* Below this many output elements a kernel runs on the calling thread, because waking the pool costs more. */
#define CONV_PARALLEL_MIN 65536

typedef struct {
  const stratum_window *g;
  const float *x;
  const float *dy;
  float *out;
} window_task;

static inline long input_index(size_t o, size_t stride, size_t pad, size_t k, size_t dilation) {
  return (long)(o * stride + k * dilation) - (long)pad;
}

static void run(size_t tasks, size_t work, stratum_task_fn fn, window_task *context) {
  if (work < CONV_PARALLEL_MIN) {
    for (size_t t = 0; t < tasks; t++) fn(context, t);
  } else {
    stratum_pool_run(tasks, fn, context);
  }
}

/* Offset of channel 0 of input position (id, ih, iw) of batch item n. */
static inline size_t input_offset(const stratum_window *g, size_t n, long id, long ih, long iw) {
  return (((n * g->depth + (size_t)id) * g->height + (size_t)ih) * g->width + (size_t)iw) * g->channels;
}

static inline int inside(const stratum_window *g, long id, long ih, long iw) {
  return id >= 0 && id < (long)g->depth && ih >= 0 && ih < (long)g->height && iw >= 0 && iw < (long)g->width;
}

static inline size_t window_size(const stratum_window *g) { return g->window_d * g->window_h * g->window_w; }

/* Task t fills the patch rows of output row t of the [batch * out_d * out_h] rows. */
static void im2col_task(void *context, size_t task) {
  const window_task *c = context;
  const stratum_window *g = c->g;
  const size_t oh = task % g->out_h, od = (task / g->out_h) % g->out_d, n = task / (g->out_h * g->out_d);
  const size_t gc = g->group_channels;
  float *col = c->out + task * g->out_w * window_size(g) * gc;
  for (size_t ow = 0; ow < g->out_w; ow++) {
    for (size_t kd = 0; kd < g->window_d; kd++) {
      const long id = input_index(od, g->stride_d, g->pad_front, kd, g->dilation_d);
      for (size_t kh = 0; kh < g->window_h; kh++) {
        const long ih = input_index(oh, g->stride_h, g->pad_top, kh, g->dilation_h);
        for (size_t kw = 0; kw < g->window_w; kw++) {
          const long iw = input_index(ow, g->stride_w, g->pad_left, kw, g->dilation_w);
          if (!inside(g, id, ih, iw)) {
            memset(col, 0, gc * sizeof(float));
          } else {
            memcpy(col, c->x + input_offset(g, n, id, ih, iw) + g->channel_offset, gc * sizeof(float));
          }
          col += gc;
        }
      }
    }
  }
}

void k_im2col(const stratum_window *g, const float *x, float *cols) {
  window_task context = {g, x, NULL, cols};
  const size_t rows = g->batch * g->out_d * g->out_h;
  run(rows, rows * g->out_w * window_size(g) * g->group_channels, im2col_task, &context);
}

/* Task n writes the channel slice of image (or volume) n. */
static void col2im_task(void *context, size_t n) {
  const window_task *c = context;
  const stratum_window *g = c->g;
  const size_t gc = g->group_channels, positions = g->depth * g->height * g->width;
  float *image = c->out + n * positions * g->channels;
  for (size_t p = 0; p < positions; p++) memset(image + p * g->channels + g->channel_offset, 0, gc * sizeof(float));
  const float *col = c->x + n * g->out_d * g->out_h * g->out_w * window_size(g) * gc;
  for (size_t od = 0; od < g->out_d; od++) {
    for (size_t oh = 0; oh < g->out_h; oh++) {
      for (size_t ow = 0; ow < g->out_w; ow++) {
        for (size_t kd = 0; kd < g->window_d; kd++) {
          const long id = input_index(od, g->stride_d, g->pad_front, kd, g->dilation_d);
          for (size_t kh = 0; kh < g->window_h; kh++) {
            const long ih = input_index(oh, g->stride_h, g->pad_top, kh, g->dilation_h);
            for (size_t kw = 0; kw < g->window_w; kw++) {
              const long iw = input_index(ow, g->stride_w, g->pad_left, kw, g->dilation_w);
              if (inside(g, id, ih, iw)) {
                float *dst = c->out + input_offset(g, n, id, ih, iw) + g->channel_offset;
                for (size_t ch = 0; ch < gc; ch++) dst[ch] += col[ch];
              }
              col += gc;
            }
          }
        }
      }
    }
  }
}

void k_col2im(const stratum_window *g, const float *cols, float *dx) {
  window_task context = {g, cols, NULL, dx};
  run(g->batch, g->batch * g->out_d * g->out_h * g->out_w * window_size(g) * g->group_channels, col2im_task, &context);
}

/*
 * Calls the body for every window position of output (n, od, oh, ow) that lies
 * inside the input, with `in` the offset of that position's channel 0.
 */
#define FOR_EACH_POSITION(g, n, od, oh, ow, in, body)                                          \
  for (size_t kd = 0; kd < (g)->window_d; kd++) {                                              \
    const long id = input_index(od, (g)->stride_d, (g)->pad_front, kd, (g)->dilation_d);       \
    if (id < 0 || id >= (long)(g)->depth) continue;                                            \
    for (size_t kh = 0; kh < (g)->window_h; kh++) {                                            \
      const long ih = input_index(oh, (g)->stride_h, (g)->pad_top, kh, (g)->dilation_h);       \
      if (ih < 0 || ih >= (long)(g)->height) continue;                                         \
      for (size_t kw = 0; kw < (g)->window_w; kw++) {                                          \
        const long iw = input_index(ow, (g)->stride_w, (g)->pad_left, kw, (g)->dilation_w);    \
        if (iw < 0 || iw >= (long)(g)->width) continue;                                        \
        const size_t in = input_offset(g, n, id, ih, iw);                                      \
        body                                                                                   \
      }                                                                                        \
    }                                                                                          \
  }

/* Splits output row `task` of the [batch * out_d * out_h] rows into its batch item, plane and row. */
#define SPLIT_ROW(g, task, n, od, oh)                         \
  const size_t oh = (task) % (g)->out_h;                      \
  const size_t od = ((task) / (g)->out_h) % (g)->out_d;       \
  const size_t n = (task) / ((g)->out_h * (g)->out_d)

static void max_pool_task(void *context, size_t task) {
  const window_task *c = context;
  const stratum_window *g = c->g;
  const size_t channels = g->channels;
  SPLIT_ROW(g, task, n, od, oh);
  for (size_t ow = 0; ow < g->out_w; ow++) {
    float *out = c->out + ((task * g->out_w) + ow) * channels;
    for (size_t ch = 0; ch < channels; ch++) out[ch] = -INFINITY;
    FOR_EACH_POSITION(g, n, od, oh, ow, in, {
      const float *x = c->x + in;
      for (size_t ch = 0; ch < channels; ch++) {
        if (x[ch] > out[ch]) out[ch] = x[ch];
      }
    })
  }
}

void k_max_pool(const stratum_window *g, const float *x, float *out) {
  window_task context = {g, x, NULL, out};
  const size_t rows = g->batch * g->out_d * g->out_h;
  run(rows, rows * g->out_w * window_size(g) * g->channels, max_pool_task, &context);
}

static void avg_pool_task(void *context, size_t task) {
  const window_task *c = context;
  const stratum_window *g = c->g;
  const size_t channels = g->channels;
  SPLIT_ROW(g, task, n, od, oh);
  for (size_t ow = 0; ow < g->out_w; ow++) {
    float *out = c->out + ((task * g->out_w) + ow) * channels;
    for (size_t ch = 0; ch < channels; ch++) out[ch] = 0.0f;
    size_t count = 0;
    FOR_EACH_POSITION(g, n, od, oh, ow, in, {
      const float *x = c->x + in;
      for (size_t ch = 0; ch < channels; ch++) out[ch] += x[ch];
      count++;
    })
    for (size_t ch = 0; ch < channels; ch++) out[ch] /= (float)count;
  }
}

void k_avg_pool(const stratum_window *g, const float *x, float *out) {
  window_task context = {g, x, NULL, out};
  const size_t rows = g->batch * g->out_d * g->out_h;
  run(rows, rows * g->out_w * window_size(g) * g->channels, avg_pool_task, &context);
}

/* Task n writes the gradient of image (or volume) n. */
static void max_pool_backward_task(void *context, size_t n) {
  const window_task *c = context;
  const stratum_window *g = c->g;
  const size_t channels = g->channels, image_size = g->depth * g->height * g->width * channels;
  float *dx = c->out;
  memset(dx + n * image_size, 0, image_size * sizeof(float));
  for (size_t od = 0; od < g->out_d; od++) {
    for (size_t oh = 0; oh < g->out_h; oh++) {
      for (size_t ow = 0; ow < g->out_w; ow++) {
        const float *dy = c->dy + (((n * g->out_d + od) * g->out_h + oh) * g->out_w + ow) * channels;
        for (size_t ch = 0; ch < channels; ch++) {
          /* The first position (row-major) holding the maximum receives the gradient. */
          long best_index = -1;
          float best = -INFINITY;
          FOR_EACH_POSITION(g, n, od, oh, ow, in, {
            const float v = c->x[in + ch];
            if (v > best || best_index < 0) {
              best = v;
              best_index = (long)(in + ch);
            }
          })
          if (best_index >= 0) dx[best_index] += dy[ch];
        }
      }
    }
  }
}

void k_max_pool_backward(const stratum_window *g, const float *x, const float *dy, float *dx) {
  window_task context = {g, x, dy, dx};
  run(g->batch, g->batch * g->out_d * g->out_h * g->out_w * window_size(g) * g->channels, max_pool_backward_task, &context);
}

static void avg_pool_backward_task(void *context, size_t n) {
  const window_task *c = context;
  const stratum_window *g = c->g;
  const size_t channels = g->channels, image_size = g->depth * g->height * g->width * channels;
  float *dx = c->out;
  memset(dx + n * image_size, 0, image_size * sizeof(float));
  for (size_t od = 0; od < g->out_d; od++) {
    for (size_t oh = 0; oh < g->out_h; oh++) {
      for (size_t ow = 0; ow < g->out_w; ow++) {
        const float *dy = c->dy + (((n * g->out_d + od) * g->out_h + oh) * g->out_w + ow) * channels;
        size_t count = 0;
        FOR_EACH_POSITION(g, n, od, oh, ow, in, { (void)in; count++; })
        FOR_EACH_POSITION(g, n, od, oh, ow, in, {
          for (size_t ch = 0; ch < channels; ch++) dx[in + ch] += dy[ch] / (float)count;
        })
      }
    }
  }
}

void k_avg_pool_backward(const stratum_window *g, const float *dy, float *dx) {
  window_task context = {g, NULL, dy, dx};
  run(g->batch, g->batch * g->out_d * g->out_h * g->out_w * window_size(g) * g->channels, avg_pool_backward_task, &context);
}
