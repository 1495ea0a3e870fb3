// Child process for the crash-and-resume test: trains the one-weight model
// with BackupAndRestore in the folder given as argv[2]. With argv[3] set to
// an epoch number, it kills itself with SIGKILL at the end of that epoch,
// after the backup of that epoch was written. It prints the final history
// and weight as JSON when training finishes.
import { BackupAndRestore, LambdaCallback } from "../../src/callbacks/index.js";
import { Dense, Input, Sequential, setRandomSeed, tensor } from "../../src/index.js";
import { SGD } from "../../src/optimizers/index.js";

const [folder, killAt] = [process.argv[2]!, process.argv[3]];
setRandomSeed(0);
const model = new Sequential([Input({ shape: [2] }), new Dense({ units: 1, kernelInitializer: "zeros" })]);
model.compile({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }), loss: "mse" });
const die = new LambdaCallback({
  onEpochEnd: (epoch: number) => {
    if (killAt !== undefined && epoch === Number(killAt)) process.kill(process.pid, "SIGKILL");
  },
});
const history = await model.fit(tensor([[1, 2], [3, 4], [5, 6]]), tensor([[1], [2], [3]]), {
  epochs: 6,
  batchSize: 2,
  shuffle: false,
  verbose: 0,
  callbacks: [new BackupAndRestore(folder), die],
});
console.log(JSON.stringify({ epochs: history.epoch, weights: model.getWeights().map((w) => Array.from(w.data)) }));
