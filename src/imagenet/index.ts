/** The 1000 ImageNet classes, their orders ('senet' release order, Caffe's 'standard') and the permutations between them. */
export * from './orders';
export { IMAGENET_DEVKIT_CLASSES } from './classes';
