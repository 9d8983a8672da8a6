"""tiny.data has no per-op pairs: loaders are compared with torch.utils.data batch by batch in
difftests/test_data.py, and the dataset loaders are checked against checksums in tests/test_datasets.py."""
_LOADER = "difftests/test_data.py: batches, samplers and collation compared with torch.utils.data"
_DATASETS = "tests/test_datasets.py: shapes, label counts and checksums of the real datasets"

COVERED_ELSEWHERE = {
    **{f"data.{n}": _LOADER for n in ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
                                      "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                                      "BatchSampler", "DataLoader", "default_collate", "default_convert"]},
    **{f"data.datasets.{n}": _DATASETS for n in ["load_digits", "load_mnist", "load_shakespeare",
                                                 "shakespeare_works", "cache_dir", "parse_mnist_csv"]},
}
