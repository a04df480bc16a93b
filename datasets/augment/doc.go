// Package augment implements the image augmentations used to train the
// converted networks: random crop with zero padding, horizontal flip, the
// CIFAR-10 AutoAugment policy, Cutout and random resized crop.
//
// All operations work on uint8 HWC images (the storage format of package
// datasets) and draw randomness only from the *rand.Rand they are given, so a
// pipeline is deterministic for a seed no matter how many goroutines run it.
package augment
