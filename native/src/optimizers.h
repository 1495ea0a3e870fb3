/*
 * Float32 update kernels of the optimizers other than Adam and SGD. Each
 * updates one variable of n elements and its slots in place. Per-step
 * scalars arrive as doubles and are rounded as the TypeScript backend
 * rounds them (src/backend/typescript/optimizers.ts).
 */
#ifndef STRATUM_OPTIMIZERS_H
#define STRATUM_OPTIMIZERS_H

#include <stddef.h>

/* momentum and average_gradient may be NULL (no momentum, not centered). */
void k_rmsprop_update(float *variable, const float *gradient, float *velocity, float *momentum, float *average_gradient,
                      size_t n, double learning_rate, double rho, double momentum_factor, double epsilon);
void k_adagrad_update(float *variable, const float *gradient, float *accumulator, size_t n, double learning_rate,
                      double epsilon);
void k_adadelta_update(float *variable, const float *gradient, float *accumulated_grad, float *accumulated_delta_var,
                       size_t n, double learning_rate, double rho, double epsilon);
void k_adamax_update(float *variable, const float *gradient, float *momentum, float *norm, size_t n,
                     double learning_rate, double beta1, double beta2, double epsilon, double step);
void k_nadam_update(float *variable, const float *gradient, float *momentum, float *velocity, size_t n,
                    double learning_rate, double beta1, double beta2, double epsilon, double step,
                    double momentum_product);
void k_lion_update(float *variable, const float *gradient, float *momentum, size_t n, double learning_rate,
                   double beta1, double beta2);
void k_lamb_update(float *variable, const float *gradient, float *momentum, float *velocity, size_t n,
                   double learning_rate, double beta1, double beta2, double epsilon, double step);
void k_ftrl_update(float *variable, const float *gradient, float *accumulator, float *linear, size_t n,
                   double learning_rate, double learning_rate_power, double l1, double l2, double l2_shrinkage);
/* row_factor [batch, rows] and column_factor [batch, cols] are both NULL for a variable of rank < 2. */
void k_adafactor_update(float *variable, const float *gradient, float *velocity, float *row_factor,
                        float *column_factor, size_t n, size_t batch, size_t rows, size_t cols, double relative_step,
                        double beta2, double epsilon1, double epsilon2, double clip_threshold);
void k_ema_update(float *average, const float *variable, size_t n, double momentum);
/* Σ x[i]², summed in double in index order. */
double k_squared_norm(const float *x, size_t n);

#endif
