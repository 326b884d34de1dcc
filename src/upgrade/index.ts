/** Legacy net formats (V0, V1, input fields, old BatchNorm) to the current one, as Caffe does it. */
export {
  needsUpgrade,
  needsBatchNormUpgrade,
  needsDataUpgrade,
  needsInputUpgrade,
  upgradeNet,
  NetUpgradeError,
  UPGRADE_STEPS,
} from './upgrade';
export type { UpgradeResult, UpgradeStep } from './upgrade';
export { needsV0Upgrade, foldV0Padding, upgradeV0Net, V0_LAYER_TYPES } from './v0';
export { needsV1Upgrade, upgradeV1Net, upgradeV1Layer, v1LayerType, V1_TYPE_TO_V2 } from './v1';
export {
  parseNetText,
  parseNetTextRaw,
  parseNetTextWithInfo,
  readNetText,
  readNetTextWithInfo,
  readTextFileBytes,
} from './read';
