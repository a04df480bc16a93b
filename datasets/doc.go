// Package datasets loads the image classification data sets used by nqsnn
// (MNIST, Fashion-MNIST, CIFAR-10, CIFAR-100, Tiny-ImageNet-200 and a small
// synthetic set for end-to-end tests) into memory, splits them, and feeds
// augmented, normalised batches to GoMLX training loops.
//
// Every loader validates its input completely: a truncated or oversized file,
// an out-of-range label or a missing class is an error that names the file and
// the position, never a silently shorter data set.
//
// Augmentations live in the sub-package augment; Batcher combines a Dataset,
// an augment.Pipeline and the dataset's normalisation into a train.Dataset.
//
// Typical training input for the paper's CIFAR-10 runs:
//
//	train, test, err := datasets.Load("cifar10", "")      // finds or downloads the data
//	tr, val, split, err := datasets.SplitDataset(train, datasets.DefaultValidationFraction, seed)
//	paper, _ := augment.Preset("paper")                   // crop+flip+AutoAugment+Cutout
//	ds, err := datasets.NewBatcher(tr, datasets.BatcherConfig{
//		BatchSize: 128, Shuffle: true, DropLast: true, Seed: seed, Augment: paper})
//	defer ds.Close()
//	// ds is a train.Dataset: loop.RunEpochs(ds, n); ds.Seek(epoch, 0) resumes.
package datasets
