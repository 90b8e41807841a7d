using TinkerServer.Application.Abstractions.Engine;

namespace TinkerServer.Infrastructure.Engine;

/// <summary>
/// A coalescing auto-reset event: any number of <see cref="WorkAvailable"/> calls before a wait wake one
/// waiter once. Enqueueing never blocks and never piles up permits.
/// </summary>
public sealed class EngineSignal : IEngineSignal, IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void WorkAvailable()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the waking worker will see this work too.
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _signal.Dispose();
}
