"""The legacy package name of the fakes: `import jetson.inference`, `import jetson.utils`."""
