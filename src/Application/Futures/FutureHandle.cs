namespace TinkerServer.Application.Futures;

/// <summary>What an asynchronous POST answers: the request id to poll and the model it concerns.</summary>
public sealed record FutureHandle(string RequestId, string? ModelId);
