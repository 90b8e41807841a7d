using Riok.Mapperly.Abstractions;
using TinkerServer.Application.Checkpoints;
using TinkerServer.Application.TrainingRuns;
using TinkerServer.Application.TrainingRuns.GetWeightsInfo;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Api.Contracts;

/// <summary>Application results to wire DTOs; generated, so a renamed field fails the build.</summary>
[Mapper]
public static partial class WireMapper
{
    public static partial CheckpointDto ToDto(this CheckpointResult checkpoint);

    public static partial TrainingRunDto ToDto(this TrainingRunResult run);

    public static partial WeightsInfoResponse ToDto(this WeightsInfoResult info);

    private static string ToWire(CheckpointType type) => type.ToWireName();
}
