namespace TinkerServer.Application.Sampling;

public sealed record SamplerResult(string SamplerId, string BaseModel, string? ModelPath);
