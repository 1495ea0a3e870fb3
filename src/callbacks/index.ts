export { Callback, History, type Logs, type TrainingParams } from "./callback.js";
export { Progbar, ProgbarLogger } from "./progbar.js";
