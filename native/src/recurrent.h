/* Float32 gate kernels of one recurrent step (SimpleRNN, LSTM, GRU with the reset gate after the matmul). */
#ifndef STRATUM_RECURRENT_H
#define STRATUM_RECURRENT_H

#include <stddef.h>

/* Cell codes shared with src/backend/native/recurrent.ts. */
enum { RNN_SIMPLE, RNN_LSTM, RNN_GRU };

/* Sizes and switches of one call, in the order of the Int32Array that the addon receives. */
typedef struct {
  int kind, activation, recurrent_activation;
  size_t batch, units, steps, step;
  int zero_output;
} rnn_step;

void k_recurrent_gates_forward(const rnn_step *p, const float *projected, const float *products, const float *recurrent_bias,
                               const float *mask, const float *h_prev, const float *c_prev, float *gate_values, float *extra,
                               float *h_new, float *c_new, float *output);

void k_recurrent_gates_backward(const rnn_step *p, const float *mask, const float *gate_values, const float *extra,
                                const float *h_prev, const float *c_prev, const float *d_output, const float *d_h,
                                const float *d_c, float *d_projected, float *product_gradients, float *d_h_prev,
                                float *d_c_prev);

#endif
