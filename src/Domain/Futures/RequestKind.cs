namespace TinkerServer.Domain.Futures;

/// <summary>What a queued request asks the engine to do.</summary>
public enum RequestKind
{
    CreateModel = 0,
    ForwardBackward = 1,
    Forward = 2,
    OptimStep = 3,
    SaveWeights = 4,
    SaveWeightsForSampler = 5,
    LoadWeights = 6,
    UnloadModel = 7,
    Sample = 8,
}

public static class RequestKinds
{
    /// <summary>Forward and forward_backward of one run can be batched; everything else is a barrier.</summary>
    public static bool IsBatchable(this RequestKind kind) => kind is RequestKind.ForwardBackward or RequestKind.Forward;

    /// <summary>Requests that act on a training run and so run in its seq_id order.</summary>
    public static bool IsTrainingRequest(this RequestKind kind) => kind is not RequestKind.Sample;
}
