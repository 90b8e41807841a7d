using Mediator;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Checkpoints.GetCheckpointArchiveUrl;

/// <param name="CheckpointId">"weights/NAME", "sampler_weights/NAME", or a bare legacy NAME meaning a sampler checkpoint.</param>
public sealed record GetCheckpointArchiveUrlQuery(string TrainingRunId, string CheckpointId) : IQuery<SignedUrl>;

/// <summary>A signed, expiring download URL: the SDK fetches it without an API key.</summary>
public sealed class GetCheckpointArchiveUrlQueryHandler(
    CheckpointReadAccess access,
    IArtifactStorage storage,
    IDownloadUrlSigner signer) : IQueryHandler<GetCheckpointArchiveUrlQuery, SignedUrl>
{
    public async ValueTask<SignedUrl> Handle(GetCheckpointArchiveUrlQuery query, CancellationToken cancellationToken)
    {
        var runId = TrainingRunId.Parse(query.TrainingRunId);
        var legacyBareName = !query.CheckpointId.Contains('/', StringComparison.Ordinal) &&
                             !query.CheckpointId.Contains("%2F", StringComparison.OrdinalIgnoreCase);
        var path = CheckpointPath.FromRoute(runId, query.CheckpointId, legacyBareName ? CheckpointType.Sampler : null);
        await access.GetReadableAsync(path, anyCaller: false, cancellationToken);
        if (await storage.GetInfoAsync(path, cancellationToken) is null)
        {
            throw new NotFoundException($"The archive of checkpoint {path} is missing.");
        }

        return signer.Sign(path);
    }
}
