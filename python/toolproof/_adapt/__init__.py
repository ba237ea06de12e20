"""The core the framework adapters share (LangChain/LangGraph, AutoGen, CrewAI).

Each adapter speaks its framework's language; what hardening means is decided here, once:

- ``kinds``: what kind of object is being hardened (a function, a ``functools.partial``, a class,
  an instance, the framework's function tool, a hardened tool, a ``toolproof.Tool``);
- ``instances``: which object a class-based tool's call runs on (one default for every adapter: a
  class gets a fresh instance per call, an instance runs every call itself, watched for state a
  call leaves on it), and the watching;
- ``names``: refusing two tools a model would see under one name, naming where both are defined;
- ``parameters``: the parameters a model is shown, and the argument model that lets every
  argument through to the road;
- ``text``: the text a model reads (a result cut to the size cap, refused arguments), made by the
  Rust core as a dispatched call's is;
- ``constants``: the defaults the adapters share.
"""
