"""colordisc_tf: Zhang et al. colourisation + discriminator-guided fine-tuning on TFX."""

from setuptools import find_packages, setup

setup(
    name="colordisc_tf",
    version="0.1.0",
    description="Classification colourizer (Zhang et al. 2016), realness discriminator and "
    "adversarial fine-tuning on failure cases, as a TFX pipeline.",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["colordisc_tf", "colordisc_tf.*", "components", "pipelines"]),
    package_data={"colordisc_tf": ["data/*.csv", "evaluate/*.txt", "web/static/*", "models/starter/*",
                                   "models/starter/logs/*/*"]},
    # The full, pinned stack lives in requirements.lock (see README: TFX 1.21's own pins
    # cannot be resolved on glibc 2.36, so the lock is installed with --no-deps).
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "keras>=3.10,<4",
        "apache-beam>=2.60,<3",
        "tensorflow-io>=0.37.1",
        "numpy",
        "pillow",
        "tqdm",
    ],
    entry_points={"console_scripts": ["colordisc=pipelines.cli:main"]},
)
