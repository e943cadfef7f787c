// Package data reads the image-classification data sets uboost trains and searches on, and turns them
// into GoMLX batches.
//
// # Data sets and --data specs
//
// Every command takes one --data spec (ParseSpec), naming a folder as the data set is distributed:
//
//	builtin                   the default: a stratified Fashion-MNIST subset embedded in the binary
//	                          (10,000 train + 2,000 test, 1000 and 200 per class, gzipped IDX)
//	fashion-mnist[:DIR]       Fashion-MNIST, IDX files (gzipped or raw); DIR defaults to Debian's
//	                          dataset-fashion-mnist, /usr/share/datasets/fashion-mnist
//	mnist:DIR                 MNIST, IDX files in DIR, DIR/raw or DIR/data (GoMNIST's folder)
//	cifar10:DIR               CIFAR-10 binary: DIR holds cifar-10-batches-bin/ or is that folder
//	cifar100:DIR[:coarse]     CIFAR-100 binary (cifar-100-binary/), fine labels unless :coarse
//	imagenet100:DIR[:cmc]     ILSVRC-2012 (DIR or DIR/ILSVRC/Data/CLS-LOC holding train/ and val/ with
//	                          one folder per wnid; a flat val/ is labelled by Kaggle's
//	                          LOC_val_solution.csv): the reference code's 100 classes (every 10th of
//	                          the 1000 sorted wnids; all 1000 class folders must exist) or CMC's list
//	folder:DIR                DIR/train/<class>/* and DIR/val/<class>/* (JPEG or PNG)
//
// Image folders are center-cropped to a square and resized (bilinear, golang.org/x/image/draw) to
// Options.ImageSize, RGB. Each image is decoded on its first read (or all at once, in parallel, with
// Options.Preload or Split.Preload) and kept as a fixed-size record, so later epochs never decode again;
// ImageNet-100 at 128×128 holds about 6 GB this way. With Options.CacheDir the records also go to a
// file there, so later runs skip decoding too. The val folder is the test split, as in the reference
// code.
//
// # Splits, normalization, augmentation
//
// Open returns a Dataset: its shape (H, W, C), class names, per-channel Mean and Std (the published
// statistics of each family; ImageNet's for folders) and three Splits. Train and Val partition the
// training files: Options.ValFraction of each class is held out at random for Options.Seed. Test is the
// data set's test (or val) files. Split.Take(n) keeps the first n records, for quick runs.
//
// Dataset.Augment is the training augmentation (random crop of the image zero-padded by Pad pixels,
// then a horizontal flip with probability 1/2 when Flip): pad 2 and flips for Fashion-MNIST, pad 2 and
// no flips for MNIST digits, pad 4 and flips for CIFAR, size/8 and flips for image folders.
//
// # Batches
//
// Split.Loader yields batches: images float32 [N, H, W, C], normalized as (v/255 − Mean)/Std, and labels
// int32 [N, 1] (the shape of GoMLX's sparse cross-entropy). A Loader is a GoMLX train.Dataset (Name,
// Reset, Yield), so it plugs into train.Loop; Next returns a Batch of tensors, NextInto fills plain
// slices. Batches are filled by Workers goroutines, and everything random — the epoch's order and each
// record's crop and flip — is drawn from (Seed, epoch, position), so a seed gives the same batches
// whatever the number of workers.
//
//	ds, err := data.Open("builtin", data.DefaultOptions())
//	trainDS := ds.Train.Loader(data.TrainOptions(64, seed)) // shuffled, augmented, repeating
//	evalDS := ds.Test.Loader(data.EvalOptions(256))         // every record once, in order
//
// # Errors
//
// Bad input — wrong magic, truncated record, label out of range, empty class folder, undecodable image,
// missing directory — is reported as one line naming the file and, for record files, the record
// ("train-labels-idx1-ubyte.gz: record 17: label 12 out of range [0,10)"). Errors about malformed
// contents match ErrBadInput. Nothing in the package panics on bad input or prints.
package data
