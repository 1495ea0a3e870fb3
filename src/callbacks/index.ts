export { Callback, History, type Logs, type TrainingParams } from "./callback.js";
export { Progbar, ProgbarLogger } from "./progbar.js";
export { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping.js";
export { LearningRateScheduler, type LearningRateSchedule, ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./learning-rate.js";
export { CSVLogger, type CSVLoggerOptions } from "./csv-logger.js";
export { LambdaCallback, type LambdaHooks, TerminateOnNaN } from "./terminate.js";
export { BackupAndRestore, type BackupAndRestoreOptions, ModelCheckpoint, type ModelCheckpointOptions } from "./checkpoint.js";
