"""The GitHub side: an App client (githubkit) with tokens shared across processes."""
