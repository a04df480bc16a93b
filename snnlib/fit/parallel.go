package fit

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/train"
)

// dataParallel runs training steps data-parallel over several devices of one
// backend (Config.Devices > 1): each batch is split along its first axis, one
// slice per device, and the variables are replicated on every device. GoMLX's
// AutoSharding partitions the training graph (the gradient all-reduce
// included), so a step computes what the single-device step computes on the
// whole batch.
type dataParallel struct {
	devices []backends.DeviceNum
	spec    *distributed.ShardingSpec // axis 0 over the mesh axis "batch"
}

// shardedStep is the train.Trainer "spec" of the sharded training step: the
// trainer keeps one executor per spec, and the sharded executor must not be
// reused for single-device steps (spec nil), nor the other way round.
type shardedStep struct{ devices int }

func newDataParallel(backend backends.Backend, n int) (*dataParallel, error) {
	if have := backend.NumDevices(); n > have {
		return nil, fmt.Errorf("fit: %d devices requested for data-parallel training, but backend %q has only %d",
			n, backend.Name(), have)
	}
	mesh, err := distributed.NewDeviceMesh([]int{n}, []string{"batch"})
	if err != nil {
		return nil, fmt.Errorf("fit: device mesh over %d devices: %w", n, err)
	}
	spec, err := distributed.BuildSpec(mesh).S("batch").Done()
	if err != nil {
		return nil, fmt.Errorf("fit: batch sharding spec: %w", err)
	}
	p := &dataParallel{spec: spec, devices: make([]backends.DeviceNum, n)}
	for i := range p.devices {
		p.devices[i] = backends.DeviceNum(i)
	}
	return p, nil
}

// divides reports whether every tensor's batch (first) axis splits evenly
// over the devices.
func (p *dataParallel) divides(ts []*tensors.Tensor) bool {
	for _, t := range ts {
		if t.Shape().Rank() == 0 || t.Shape().Dimensions[0]%len(p.devices) != 0 {
			return false
		}
	}
	return true
}

// shard splits host tensors along axis 0, one slice per device.
func (p *dataParallel) shard(ts []*tensors.Tensor) ([]*distributed.Tensor, error) {
	out := make([]*distributed.Tensor, len(ts))
	for i, t := range ts {
		d, err := distributed.ShardTensor(p.spec, t)
		if err != nil {
			finalizeAll(out[:i])
			return nil, fmt.Errorf("fit: sharding batch tensor %d over %d devices: %w", i, len(p.devices), err)
		}
		out[i] = d
	}
	return out, nil
}

func finalizeAll(ds []*distributed.Tensor) {
	for _, d := range ds {
		_ = d.Finalize()
	}
}

// step runs one training step. A batch that does not split evenly over the
// devices (typically the last, partial one of an epoch) runs on device 0
// alone, with the same variables: the context moves them between their
// replicated and single-device forms as needed.
func (p *dataParallel) step(tr *train.Trainer, inputs, labels []*tensors.Tensor) ([]*tensors.Tensor, error) {
	if !p.divides(inputs) || !p.divides(labels) {
		return tr.TrainStep(nil, inputs, labels)
	}
	dIn, err := p.shard(inputs)
	if err != nil {
		return nil, err
	}
	defer finalizeAll(dIn)
	dLabels, err := p.shard(labels)
	if err != nil {
		return nil, err
	}
	defer finalizeAll(dLabels)
	return tr.DistributedTrainStep(distributed.AutoSharding, p.devices, shardedStep{len(p.devices)}, dIn, dLabels)
}
