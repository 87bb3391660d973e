"""The local stack (`ecrm serve`): moto, an API Gateway stand-in and event source pumps,
all built from infra/template.yaml. Never shipped to Lambda."""
