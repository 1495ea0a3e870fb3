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

/* Sizes and switches of a whole-sequence call, in the order of the Int32Array that the addon receives. */
typedef struct {
  int kind, activation, recurrent_activation;
  size_t batch, units, steps;
  int go_backwards, zero_output;
} rnn_sequence;

/*
 * Runs every step of a cell whose gates share one recurrent matmul.
 * h_history is [steps + 1, batch, units] with the initial state in its first
 * slot; the call writes the others (c_history likewise, LSTM only, else
 * NULL). gate_values is [steps, batch, gates * units], extra [steps, batch,
 * units] (NULL for SimpleRNN), both in processing order, and output [batch,
 * steps + states, units]: each step's output, then the final states.
 * Returns 0 when scratch memory cannot be allocated.
 */
int k_recurrent_sequence_forward(const rnn_sequence *p, const float *projected, const float *kernel, const float *recurrent_bias,
                                 const float *mask, float *h_history, float *c_history, float *gate_values, float *extra,
                                 float *output);

/*
 * Backpropagation through a whole k_recurrent_sequence_forward call, given
 * dy, the gradient of its output. Writes d_projected [batch, steps, gates *
 * units], the gradients of the recurrent products [steps, batch, gates *
 * units] (from which the caller forms the kernel's gradient) and those of
 * the initial states. Returns 0 when scratch memory cannot be allocated.
 */
int k_recurrent_sequence_backward(const rnn_sequence *p, const float *kernel, const float *mask, const float *gate_values,
                                  const float *extra, const float *h_history, const float *c_history, const float *dy,
                                  float *d_projected, float *product_gradients, float *d_initial_h, float *d_initial_c);

#endif
